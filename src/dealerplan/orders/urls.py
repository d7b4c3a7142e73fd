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
    path("<int:pk>/loan/apply/", views.LoanApplyView.as_view(), name="order_loan_apply"),
    path("<int:pk>/loan/approve/", views.LoanApproveView.as_view(), name="order_loan_approve"),
    path("<int:pk>/loan/disburse/", views.LoanDisburseView.as_view(), name="order_loan_disburse"),
    path("<int:pk>/loan/reject/", views.LoanRejectView.as_view(), name="order_loan_reject"),
    path("<int:pk>/insurance/", views.InsuranceView.as_view(), name="order_insurance"),
    path("<int:pk>/registration/", views.RegistrationView.as_view(), name="order_registration"),
    path("<int:pk>/checklist/", views.ChecklistView.as_view(), name="order_checklist"),
    path("<int:pk>/accessories/", views.AccessoryLinesView.as_view(), name="order_accessories"),
    path("<int:pk>/trade-in/", views.TradeInView.as_view(), name="order_trade_in"),
    path("from-deal/<int:deal_pk>/", views.OrderFromDealView.as_view(), name="order_from_deal"),
]
