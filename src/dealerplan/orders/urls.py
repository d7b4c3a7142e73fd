from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("receivables/", views.ReceivablesView.as_view(), name="receivables"),
    path("", views.OrderListView.as_view(), name="order_list"),
    path("add/", views.OrderEditView.as_view(), name="order_add"),
    path("<int:pk>/", views.OrderDetailView.as_view(), name="order_detail"),
    path("<int:pk>/edit/", views.OrderEditView.as_view(), name="order_edit"),
    path("<int:pk>/allocate/", views.AllocateVehicleView.as_view(), name="order_allocate"),
    path("<int:pk>/payments/", views.ReceivePaymentView.as_view(), name="order_payment"),
    path("<int:pk>/invoice/", views.RecordInvoiceView.as_view(), name="order_invoice"),
    path("<int:pk>/deliver/", views.DeliverOrderView.as_view(), name="order_deliver"),
    path("<int:pk>/cancel/", views.CancelOrderView.as_view(), name="order_cancel"),
]
