// Tells the widget manager where its files are: in this book's _static/vendor folder, never on
// a CDN. Loaded after require.js and before embed-amd.js (see nb_ipywidgets_js in _config.yml).
(function () {
  var here = document.currentScript.src.split("?")[0].replace(/[^/]*$/, "");
  var manager = here + "vendor/html-manager/";
  // embed-amd.js defines the @jupyter-widgets modules itself; their paths only tell webpack
  // where the fonts its CSS refers to are (beside embed-amd.js).
  window.__jupyter_widgets_assets_path__ = manager;
  window.requirejs.config({
    paths: {
      anywidget: here + "vendor/anywidget/index",
      "@jupyter-widgets/base": manager + "base",
      "@jupyter-widgets/controls": manager + "controls",
      "@jupyter-widgets/html-manager": manager + "html-manager",
      "@jupyter-widgets/html-manager/dist": manager.slice(0, -1),
    },
  });
})();
