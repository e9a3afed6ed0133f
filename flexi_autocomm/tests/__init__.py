from . import test_settings
from . import test_smtp_harness
from . import test_sending
from . import test_delivery
from . import test_performance
from . import test_contract
from . import test_contract_security
from . import test_contract_sending
