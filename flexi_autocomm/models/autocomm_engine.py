import gc
import logging
import threading
from contextlib import contextmanager

import psycopg2

from odoo import api, models

_logger = logging.getLogger(__name__)


class AutocommEngine(models.AbstractModel):
    """The scheduled action that sends the queued documents of every kind,
    and the transaction steps it is made of.

    Every model inheriting ``autocomm.mixin`` is a kind of document it sends
    (see :meth:`_get_document_models`). Only the scheduled action and the
    dispatch commit: business methods never do.
    """

    _name = "autocomm.engine"
    _description = "Automatic communication: sending engine"

    @api.model
    def _get_document_models(self):
        """The models of the documents the engine sends: every concrete model
        inheriting ``autocomm.mixin``."""
        return [
            self.env[name]
            for name in sorted(
                self.env.registry.descendants(["autocomm.mixin"], "_inherit")
            )
            if not self.env[name]._abstract and not self.env[name]._transient
        ]

    @api.model
    def _get_batch_size(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("flexi_autocomm.batch_size", 50)
        )

    @api.model
    def _cron_autocomm_send(self, batch_size=None):
        """Build the e-mails of one batch of queued documents of each kind,
        then send what waits in the engine's mail queue."""
        mail_model = self.env["mail.mail"]
        mail_model._autocomm_recover_interrupted()
        batch_size = batch_size or self._get_batch_size()
        done, more = 0, False
        for model in self._get_document_models():
            batch, model_has_more = model._autocomm_send_batch(batch_size)
            done += len(batch)
            more = more or model_has_more
        mail_model._autocomm_dispatch(limit=batch_size * 20)
        # Building the e-mails leaves reference cycles that only a full
        # collection frees (Python's e-mail package makes a class per header,
        # PDF readers point back to their objects): about 18 MB a batch of
        # 50, and Odoo runs up to 10 batches in one cron job. Collected here,
        # the worker's memory is bounded by the batch.
        gc.collect()
        self.env["ir.cron"]._notify_progress(done=done, remaining=int(more))
        if more:
            self._trigger()

    @api.model
    def _trigger(self):
        """Run the scheduled action again soon."""
        self.env.ref("flexi_autocomm.ir_cron_autocomm_send")._trigger()

    # ------------------------------------------------------------------
    # Transaction steps
    # ------------------------------------------------------------------

    @api.model
    def _can_commit(self):
        return not getattr(threading.current_thread(), "testing", False)

    @api.model
    def _commit(self):
        """Commit a step of the scheduled action (never inside a test).

        The sending must commit between steps: the claim of an e-mail before
        it goes to the SMTP server, its outcome right after (see
        ``mail.mail._autocomm_dispatch``).
        """
        if self._can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _rollback(self):
        if self._can_commit():
            self.env.cr.rollback()  # pylint: disable=invalid-commit

    @api.model
    @contextmanager
    def _step(self, flush=True):
        """A step of the scheduled action that is undone when it fails.

        The scheduled action commits before and after each step (the claim
        of a batch; in the dispatch, the claim of an e-mail, the lock of its
        document, the SMTP conversation), so a step is the whole of its
        transaction: when it fails, the transaction is rolled back, which
        costs nothing where a savepoint would cost two queries per step and
        e-mail. Tests never commit: there a savepoint stands in for the
        transaction.
        """
        if not self._can_commit():
            with self.env.cr.savepoint(flush=flush):
                yield
            return
        try:
            yield
            if flush:
                # Inside the step: a failure to write is the step's failure.
                self.env.flush_all()
        except Exception:
            self.env.cr.rollback()  # pylint: disable=invalid-commit
            raise

    @api.model
    def _lock_rows(self, query):
        """Run a ``SELECT id … FOR UPDATE SKIP LOCKED`` step (an ``SQL``);
        the ids it locked.

        A serialization failure (a row changed since this transaction began:
        another worker committed) locks nothing: the next run tries again.
        """
        try:
            with self._step(flush=False):
                self.env.cr.execute(query)
                return [row[0] for row in self.env.cr.fetchall()]
        except psycopg2.extensions.TransactionRollbackError:
            self._trigger()
            return []
