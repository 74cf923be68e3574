// Starts Swagger UI on /api/docs. The page has no inline script (strict CSP): the spec URL comes
// from the data-spec-url attribute of #swagger-ui. Swagger UI is vendored under static/vendor.
(function () {
  "use strict";

  function start() {
    var node = document.getElementById("swagger-ui");
    if (!node || typeof window.SwaggerUIBundle !== "function") {
      return; // the fallback text (a link to the OpenAPI document) stays
    }
    window.SwaggerUIBundle({
      url: node.getAttribute("data-spec-url"),
      domNode: node,
      deepLinking: true,
      validatorUrl: null, // never call swagger.io
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
