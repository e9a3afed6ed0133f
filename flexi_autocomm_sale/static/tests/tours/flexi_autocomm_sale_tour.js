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

// Settings are saved by a full page reload. The marker class is set on the
// page before saving; a trigger that requires its absence only matches on
// the reloaded page, never on the stale one.
const RELOAD_MARKER = "o_flexi_autocomm_sale_tour_before_reload";

function searchAndOpen(text, recordSelector) {
    return [
        {
            content: `Search ${text}`,
            trigger: ".o_searchview_input",
            run: `edit ${text}`,
        },
        {
            content: "Apply the search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: `Open ${text}`,
            trigger: `${recordSelector}:contains("${text}")`,
            run: "click",
        },
    ];
}

function flagContact(name, flag, badge) {
    return [
        {
            content: `Open the contact ${name}`,
            trigger: `body:not(:has(.modal)) .o_field_widget[name='child_ids'] .o_kanban_record:contains('${name}')`,
            run: "click",
        },
        {
            content: `Flag the contact '${badge}'`,
            trigger: `.modal .o_field_widget[name='${flag}'] input:not(:checked)`,
            run: "click",
        },
        {
            content: "Save the contact",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: `The contact shows the '${badge}' badge`,
            trigger: `body:not(:has(.modal)) .o_field_widget[name='child_ids'] .o_kanban_record:contains('${name}') .badge:contains('${badge}')`,
        },
    ];
}

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
        {
            content: "Save the settings",
            trigger: ".o_control_panel .o_form_button_save",
            run(helpers) {
                document.body.classList.add(RELOAD_MARKER);
                helpers.click();
            },
        },
        {
            content: "The reloaded settings send quotations",
            trigger: `body:not(.${RELOAD_MARKER}) #autocomm_quotation_setting .o_field_widget[name='autocomm_quotation_auto_send'] input:checked`,
        },
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
        {
            content: "Choose the customer",
            trigger: ".o_field_widget[name='partner_id'] input",
            run: "edit Tour Shop",
        },
        {
            content: "Pick Tour Shop s.r.o.",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Shop s.r.o.')",
            run: "click",
        },
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
        {
            content: "Open the scheduled actions",
            trigger: ".o_form_saved",
            run: "goToUrl /odoo/action-base.ir_cron_act",
        },
        ...searchAndOpen(
            "Automatic communication: send documents",
            ".o_data_row td[name='name']"
        ),
        {
            content: "Run it manually",
            trigger: ".o_statusbar_buttons button[name='method_direct_trigger']",
            run: "click",
        },
        {
            content: "The run is over",
            trigger: ".o_form_saved .o_statusbar_buttons button[name='method_direct_trigger']:enabled",
        },

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
