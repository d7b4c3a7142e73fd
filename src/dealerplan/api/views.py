from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script as a separate file, so the page keeps the
    Content-Security-Policy (no inline script; the inline style carries the nonce)."""

    template_name = "api/swagger_ui.html"
