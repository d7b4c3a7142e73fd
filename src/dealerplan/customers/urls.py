from django.urls import path

from . import card_views, import_urls, views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("add/", views.CustomerEditView.as_view(), name="customer_add"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="customer_edit"),
    path("<int:pk>/card/", card_views.CustomerCardView.as_view(), name="customer_card"),
    *import_urls.urlpatterns,
]
