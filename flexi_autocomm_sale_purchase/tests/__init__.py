from . import test_send_orders_flag
