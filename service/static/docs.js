// Starts Swagger UI on /docs. A file, not an inline script, so that the page runs under the
// app's strict Content-Security-Policy; the bundle comes from the swagger-ui-bundle-v2 package.
const root = document.getElementById("swagger-ui");

window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
});
