"""dealerplan: sales planning and CRM for car dealerships."""
