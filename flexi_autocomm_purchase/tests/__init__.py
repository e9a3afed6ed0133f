from . import test_purchase_order
from . import test_i18n
from . import test_tour
