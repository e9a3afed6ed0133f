/** @odoo-module **/
/*
 * A salesperson's path through the automatic sending of sales documents:
 * switch on "Send quotations automatically" and "Send order confirmations
 * automatically" in the Sales settings, flag one contact of the customer
 * "Send quotations" and another "Send orders" in the contact dialog, create a
 * quotation (marked Send by the switch), run the scheduled action by hand and
 * find the quotation "Quotation Sent" and e-mailed, then confirm it: it is
 * marked Send again, as the order confirmation.
 *
 * Data (customer "Tour Shop s.r.o.", its contacts "Jana Nabídková" and "Petr
 * Objednávka", product "Tour Cake") and the SMTP server come from
 * tests/test_tour.py, which then runs the scheduled action once more.
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

registry.category("web_tour.tours").add("flexi_autocomm_sale_tour", {
    url: "/odoo/action-sale.action_sale_config_settings",
    steps: () => [
        // 1. Sales settings: quotations and order confirmations are sent
        {
            content: "Tick 'Send quotations automatically'",
            trigger: "#autocomm_quotation_setting .o_field_widget[name='autocomm_quotation_auto_send'] input:not(:checked)",
            run: "click",
        },
        {
            content: "The text for sending quotations can be written",
            trigger: "#autocomm_quotation_setting .o_field_widget[name='autocomm_quotation_text']",
        },
        {
            content: "Tick 'Send order confirmations automatically'",
            trigger: "#autocomm_sale_order_setting .o_field_widget[name='autocomm_sale_order_auto_send'] input:not(:checked)",
            run: "click",
        },
        ...saveSettings(
            "The reloaded settings send quotations",
            "#autocomm_quotation_setting .o_field_widget[name='autocomm_quotation_auto_send'] input:checked"
        ),
        {
            content: "… and order confirmations",
            trigger: "#autocomm_sale_order_setting .o_field_widget[name='autocomm_sale_order_auto_send'] input:checked",
        },

        // 2. Contacts of the customer receive the quotations and the orders
        {
            content: "Open the customers",
            trigger: "body",
            run: "goToUrl /odoo/action-account.res_partner_action_customer",
        },
        ...searchAndOpen("Tour Shop s.r.o.", ".o_kanban_record"),
        ...flagContact("Jana Nabídková", "autocomm_send_quotations", "Send quotations"),
        ...flagContact("Petr Objednávka", "autocomm_send_orders", "Send orders"),
        ...stepUtils.saveForm(),

        // 3. A new quotation is marked Send
        {
            content: "Create a quotation",
            trigger: ".o_form_saved",
            run: "goToUrl /odoo/action-sale.action_quotations_with_onboarding/new",
        },
        ...pickInField("partner_id", "Tour Shop", "Tour Shop s.r.o."),
        {
            content: "Add a product",
            trigger: "div[name='order_line'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Choose the product",
            trigger: "div[name='order_line'] .o_selected_row div[name='product_template_id'] input",
            run: "edit Tour Cake",
        },
        {
            content: "Pick Tour Cake",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Cake')",
            run: "click",
        },
        {
            content: "The line has its product",
            trigger: "div[name='order_line'] .o_data_row div[name='product_template_id'] input:value(Tour Cake)",
        },
        {
            content: "Open the tab with the mail state",
            trigger: ".o_notebook a[name='other_information']",
            run: "click",
        },
        {
            content: "The new quotation is marked Send",
            trigger: ".o_field_widget[name='autocomm_state'] select:value(to_send)",
        },
        ...stepUtils.saveForm(),
        {
            content: "Saved, it waits for the scheduled action (or 'Send now')",
            trigger: ".o_form_saved .o_statusbar_buttons button[name='action_autocomm_send_now']",
        },

        // 4. Run the scheduled action by hand
        ...runScheduledAction(".o_form_saved"),

        // 5. The quotation was e-mailed; confirming it queues the order
        {
            content: "Back to the quotations",
            trigger: "body",
            run: "goToUrl /odoo/action-sale.action_quotations_with_onboarding",
        },
        ...searchAndOpen("Tour Shop s.r.o.", ".o_data_row td[name='partner_id']"),
        {
            content: "Odoo's own state says Quotation Sent",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Quotation Sent')",
        },
        {
            content: "Open the tab with the mail state",
            trigger: ".o_notebook a[name='other_information']",
            run: "click",
        },
        {
            content: "The mail state is Sent",
            trigger: ".o_field_widget[name='autocomm_state']:not(:has(select)):contains('Sent')",
        },
        {
            content: "It was e-mailed to the contact flagged 'Send quotations'",
            trigger: ".o_field_widget[name='autocomm_recipient_ids'] .o_tag:contains('Jana Nabídková')",
        },
        {
            content: "The e-mail, with the quotation PDF, is in the chatter",
            trigger: ".o-mail-Chatter .o-mail-Message:has(.o-mail-AttachmentList)",
        },
        {
            content: "Confirm the quotation",
            trigger: ".o_statusbar_buttons button[name='action_confirm']",
            run: "click",
        },
        {
            content: "It is a sales order now",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Sales Order')",
        },
        {
            content: "The order confirmation is marked Send",
            trigger: ".o_field_widget[name='autocomm_state'] select:value(to_send)",
        },
    ],
});
