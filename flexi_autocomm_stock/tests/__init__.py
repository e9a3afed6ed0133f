from . import test_delivery_slip
from . import test_operation_type_text
from . import test_i18n
from . import test_tour
from . import test_performance
