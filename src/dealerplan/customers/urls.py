from django.urls import path

from . import autocomplete, card_views, import_urls, pool_urls, privacy_views, views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("add/", views.CustomerEditView.as_view(), name="customer_add"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="customer_edit"),
    path("<int:pk>/card/", card_views.CustomerCardView.as_view(), name="customer_card"),
    path("autocomplete/", autocomplete.CustomerAutocompleteView.as_view(), name="autocomplete"),
    path("<int:pk>/phone/", privacy_views.RevealPhoneView.as_view(), name="reveal_phone"),
    path(
        "<int:pk>/personal-data/",
        privacy_views.PersonalDataView.as_view(),
        name="personal_data",
    ),
    *import_urls.urlpatterns,
    *pool_urls.urlpatterns,
]
