from .navigation import nav_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    # Every template rendered with the request (the page, a table) asks; build it once.
    if not hasattr(request, "_nav_items"):
        request._nav_items = nav_for(user, request.path)
    return {"nav_items": request._nav_items}
