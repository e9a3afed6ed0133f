from . import account_edi_xml_isdoc
from . import account_move
from . import account_move_send
from . import account_tax
from . import ir_attachment
from . import res_partner
