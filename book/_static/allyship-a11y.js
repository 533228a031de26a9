// Small accessibility fixes to the theme's markup, on every page of the book (axe-core's
// label-content-name-mismatch, WCAG 2.5.3: a control's accessible name must contain its
// visible text). Loaded with `defer`, after the theme's Font Awesome script but before it turns
// <i> icons into <svg> on DOMContentLoaded.
(function () {
  function fix() {
    // The search buttons say "Search Ctrl+K" but are labelled "Search": let their visible text
    // be their name, and announce the shortcut the standard way.
    document.querySelectorAll(".search-button__button").forEach(function (button) {
      if (button.textContent.trim()) button.removeAttribute("aria-label");
      button.setAttribute("aria-keyshortcuts", "Control+K");
    });
    // Icons inside a labelled button are decoration: a titled icon becomes a named image that
    // does not match the button's label ("Light" inside "Color mode").
    document.querySelectorAll("button[aria-label] i[title], a[aria-label] i[title]").forEach(
      function (icon) {
        icon.removeAttribute("title");
        icon.setAttribute("aria-hidden", "true");
      },
    );
    document.querySelectorAll("button[aria-label] svg, a[aria-label] svg").forEach(function (svg) {
      if (svg.getAttribute("aria-hidden") === "true" && !svg.hasAttribute("role")) return;
      svg.querySelectorAll("title").forEach(function (title) {
        title.remove();
      });
      svg.removeAttribute("role");
      svg.removeAttribute("aria-labelledby");
      svg.setAttribute("aria-hidden", "true");
    });
    // The sidebar's toggle of a chapter with sections is a <summary> holding only an icon:
    // name it after the chapter it opens (axe-core's summary-name).
    document.querySelectorAll(".bd-sidenav details > summary").forEach(function (summary) {
      if (summary.textContent.trim() || summary.hasAttribute("aria-label")) return;
      var link = summary.parentElement.parentElement.querySelector(":scope > a");
      var title = link ? link.textContent.trim() : "";
      summary.setAttribute("aria-label", title ? "Show the pages of " + title : "Show pages");
    });
  }
  fix();
  // Font Awesome swaps icons in later too (and again when they change): fix what it adds.
  new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
})();
