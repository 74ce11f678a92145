// Renders /api/openapi.json. validatorUrl: null keeps Swagger UI from sending the document to
// validator.swagger.io: the page makes no request beyond this server.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
};
