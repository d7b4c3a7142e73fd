from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerplan.customers.choices import IntentionLevel
from dealerplan.customers.models import Customer


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
    now = timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    # One pass over the store's customers for all four cards: each count on its own read the
    # whole store's rows again. Counting the (never empty) level rather than the id lets
    # ``customer_followup_idx`` answer from the index alone.
    open_lead = Q(intention_level__in=IntentionLevel.open_levels())
    due_today = open_lead & Q(next_follow_up_at__gte=now, next_follow_up_at__lte=end_of_day)
    context = (
        Customer.objects.visible_to(request.user)
        .active()
        .aggregate(
            customer_count=Count("intention_level"),
            open_lead_count=Count("intention_level", filter=open_lead),
            overdue_count=Count("intention_level", filter=open_lead & Q(next_follow_up_at__lt=now)),
            due_today_count=Count("intention_level", filter=due_today),
        )
    )
    return render(request, "home.html", context)
