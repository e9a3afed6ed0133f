from . import models


def uninstall_hook(env):
    """Leave no automatic e-mail that Odoo's own mail queue would send."""
    env["mail.mail"]._autocomm_cancel_before_uninstall()
