from . import res_partner
from . import stock_picking_type
from . import stock_picking
from . import stock_move
