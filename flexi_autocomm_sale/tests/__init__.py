from . import test_i18n
from . import test_order_confirmation
from . import test_quotation
from . import test_sale_texts
from . import test_tour
