from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dealerplan.customers.services import follow_up_counts


def lockout(request, credentials=None, *args, **kwargs):
    """django-axes calls this when a user or address is locked out."""
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request, data=request.POST or None)
    form.errors.clear()
    form.add_error(
        None,
        _(
            "Too many failed sign-in attempts. Please wait 15 minutes and try again, "
            "or ask your manager to unlock your account."
        ),
    )
    return render(request, "registration/login.html", {"form": form}, status=429)


@login_required
def home(request):
    """Consultants start on My Day; managers get the store's summary."""
    if request.user.sees_only_own:
        return redirect("activities:my_day")
    context = follow_up_counts(request.user)
    return render(request, "home.html", context)
