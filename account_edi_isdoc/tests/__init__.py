from . import test_isdoc_export
from . import test_isdoc_rules
from . import test_isdoc_import
from . import test_isdoc_send
from . import test_isdoc_autocomm
