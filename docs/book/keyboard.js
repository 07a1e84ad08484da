// Code and output blocks wider than the text column scroll sideways. Each of those takes the
// keyboard focus (tabindex 0), so that it can be scrolled with the arrow keys, without a mouse
// (WCAG 2.1.1 Keyboard; axe-core's rule scrollable-region-focusable). Blocks that fit stay out of
// the tab order. Copied into the site by docs/book/build.py; conf.py loads it on every page.
function focusableWhenScrollable() {
  for (const block of document.querySelectorAll("pre")) {
    if (block.scrollWidth > block.clientWidth) {
      block.tabIndex = 0;
    } else {
      block.removeAttribute("tabindex");
    }
  }
}

document.addEventListener("DOMContentLoaded", focusableWhenScrollable);
window.addEventListener("resize", focusableWhenScrollable);
