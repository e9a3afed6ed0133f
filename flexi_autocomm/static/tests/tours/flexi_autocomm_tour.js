/** @odoo-module **/
/*
 * The user's path through automatic communication, as an accountant walks it:
 * switch sending on in the settings, mark the sale journal "Automatically send
 * by e-mail to client", flag a contact "Send invoices", create and post an
 * invoice (marked Send by its journal), run the scheduled action by hand and
 * find the invoice Sent with the e-mail in its chatter.
 *
 * Data (customer "Tour Bakery s.r.o.", its contact "Eva Tourová", product
 * "Tour Bread") and the SMTP server come from tests/test_tour.py.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";
import {
    flagContact,
    pickInField,
    runScheduledAction,
    saveSettings,
    searchAndOpen,
} from "@flexi_autocomm/../tests/tours/autocomm_tour_utils";

registry.category("web_tour.tours").add("flexi_autocomm_tour", {
    url: "/odoo/action-account.action_account_config",
    steps: () => [
        // 1. Settings: automatic e-mail sending = Send, with an archive address
        {
            content: "Choose 'Send' for automatic e-mail sending",
            trigger: "#autocomm_mode_setting input[data-value='send']",
            run: "click",
        },
        {
            content: "Enter the BCC archive address",
            trigger: "#autocomm_mode_setting .o_field_widget[name='autocomm_bcc_email'] input",
            run: "edit archive@tour.example.com",
        },
        ...saveSettings(
            "The reloaded settings say Send",
            "#autocomm_mode_setting input[data-value='send']:checked"
        ),
        {
            content: "The archive address is kept",
            trigger: "#autocomm_mode_setting .o_field_widget[name='autocomm_bcc_email'] input",
            run() {
                if (this.anchor.value !== "archive@tour.example.com") {
                    throw new Error(`BCC address not saved: ${this.anchor.value}`);
                }
            },
        },

        // 2. The sale journal marks new invoices Send
        {
            content: "Open the journals",
            trigger: "body",
            run: "goToUrl /odoo/action-account.action_account_journal_form",
        },
        ...searchAndOpen("Customer Invoices", ".o_data_row td[name='name']"),
        {
            content: "Open the tab 'Texts on document'",
            trigger: ".o_notebook a[name='autocomm_texts']",
            run: "click",
        },
        {
            content: "Tick 'Automatically send by e-mail to client'",
            trigger: ".o_field_widget[name='autocomm_auto_send'] input:not(:checked)",
            run: "click",
        },
        ...stepUtils.saveForm(),

        // 3. A contact of the customer receives the invoices
        {
            content: "Open the customers",
            trigger: ".o_form_saved",
            run: "goToUrl /odoo/action-account.res_partner_action_customer",
        },
        ...searchAndOpen("Tour Bakery s.r.o.", ".o_kanban_record"),
        ...flagContact("Eva Tourová", "autocomm_send_invoices", "Send invoices"),
        ...stepUtils.saveForm(),

        // 4. A new invoice, marked Send by its journal, posted
        {
            content: "Create an invoice",
            trigger: ".o_form_saved",
            run: "goToUrl /odoo/action-account.action_move_out_invoice_type/new",
        },
        ...pickInField("partner_id", "Tour Bakery", "Tour Bakery s.r.o."),
        {
            content: "Add a line",
            trigger: "div[name='invoice_line_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Choose the product",
            trigger: "div[name='invoice_line_ids'] .o_selected_row .o_list_many2one[name='product_id'] input",
            run: "edit Tour Bread",
        },
        {
            content: "Pick Tour Bread",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Bread')",
            run: "click",
        },
        {
            content: "Open the tab with the mail state",
            trigger: ".o_notebook a[name='other_info']",
            run: "click",
        },
        {
            content: "The new invoice is marked Send",
            trigger: ".o_field_widget[name='autocomm_state'] select:value(to_send)",
        },
        {
            content: "Confirm (post) the invoice",
            trigger: ".o_statusbar_buttons button[name='action_post']",
            run: "click",
        },
        {
            content: "The invoice is posted and still waits for the scheduled action",
            trigger: ".o_statusbar_buttons button[name='action_autocomm_send_now']",
        },

        // 5. Run the scheduled action by hand
        ...runScheduledAction(
            ".o_field_widget[name='autocomm_state'] select:value(to_send)"
        ),

        // 6. The invoice is Sent, the e-mail is in its chatter
        {
            content: "Back to the invoices",
            trigger: "body",
            run: "goToUrl /odoo/action-account.action_move_out_invoice_type",
        },
        ...searchAndOpen("Tour Bakery s.r.o.", ".o_data_row td[name='invoice_partner_display_name']"),
        {
            content: "Open the tab with the mail state",
            trigger: ".o_notebook a[name='other_info']",
            run: "click",
        },
        {
            content: "The mail state is Sent",
            trigger: ".o_field_widget[name='autocomm_state']:not(:has(select)):contains('Sent')",
        },
        {
            content: "It was e-mailed to the flagged contact",
            trigger: ".o_field_widget[name='autocomm_recipient_ids'] .o_tag:contains('Eva Tourová')",
        },
        {
            content: "The e-mail is in the chatter",
            trigger: ".o-mail-Chatter .o-mail-Message:contains('please find attached')",
        },
    ],
});
