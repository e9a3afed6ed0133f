/** @odoo-module **/
/*
 * A buyer's path through the automatic sending of purchase documents: switch
 * on "Automatically send RFQs" and "Automatically send purchase orders" in the
 * Purchase settings, flag one contact of the vendor "Send RFQs" and another
 * "Send orders" in the contact dialog, create an RFQ (marked Send by the
 * switch), run the scheduled action by hand and find the RFQ "RFQ Sent" and
 * e-mailed, then confirm it: it is marked Send again, as the purchase order.
 *
 * Data (vendor "Tour Mill a.s.", its contacts "Lucie Prodejová" and "Martin
 * Objednávka", product "Tour Grain") and the SMTP server come from
 * tests/test_tour.py, which then runs the scheduled action once more.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Settings are saved by a full page reload. The marker class is set on the
// page before saving; a trigger that requires its absence only matches on
// the reloaded page, never on the stale one.
const RELOAD_MARKER = "o_flexi_autocomm_purchase_tour_before_reload";

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

registry.category("web_tour.tours").add("flexi_autocomm_purchase_tour", {
    url: "/odoo/action-purchase.action_purchase_configuration",
    steps: () => [
        // 1. Purchase settings: RFQs and purchase orders are sent
        {
            content: "Tick 'Automatically send RFQs'",
            trigger: "#autocomm_rfq_setting .o_field_widget[name='autocomm_rfq_auto_send'] input:not(:checked)",
            run: "click",
        },
        {
            content: "The text for sending RFQs can be written",
            trigger: "#autocomm_rfq_setting .o_field_widget[name='autocomm_rfq_text']",
        },
        {
            content: "Tick 'Automatically send purchase orders'",
            trigger: "#autocomm_purchase_order_setting .o_field_widget[name='autocomm_purchase_order_auto_send'] input:not(:checked)",
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
            content: "The reloaded settings send RFQs",
            trigger: `body:not(.${RELOAD_MARKER}) #autocomm_rfq_setting .o_field_widget[name='autocomm_rfq_auto_send'] input:checked`,
        },
        {
            content: "… and purchase orders",
            trigger: "#autocomm_purchase_order_setting .o_field_widget[name='autocomm_purchase_order_auto_send'] input:checked",
        },

        // 2. Contacts of the vendor receive the RFQs and the orders
        {
            content: "Open the vendors",
            trigger: "body",
            run: "goToUrl /odoo/action-account.res_partner_action_supplier",
        },
        ...searchAndOpen("Tour Mill a.s.", ".o_kanban_record"),
        ...flagContact("Lucie Prodejová", "autocomm_send_rfqs", "Send RFQs"),
        ...flagContact("Martin Objednávka", "autocomm_send_orders", "Send orders"),
        ...stepUtils.saveForm(),

        // 3. A new RFQ is marked Send
        {
            content: "Create an RFQ",
            trigger: ".o_form_saved",
            run: "goToUrl /odoo/action-purchase.purchase_rfq/new",
        },
        {
            content: "Choose the vendor",
            trigger: ".o_field_widget[name='partner_id'] input",
            run: "edit Tour Mill",
        },
        {
            content: "Pick Tour Mill a.s.",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Mill a.s.')",
            run: "click",
        },
        {
            content: "Add a product",
            trigger: "div[name='order_line'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Choose the product",
            trigger: "div[name='order_line'] .o_selected_row div[name='product_id'] input",
            run: "edit Tour Grain",
        },
        {
            content: "Pick Tour Grain",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Grain')",
            run: "click",
        },
        {
            content: "The line has its product",
            trigger: "div[name='order_line'] .o_data_row div[name='product_id'] input:value(Tour Grain)",
        },
        {
            content: "The new RFQ is marked Send",
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

        // 5. The RFQ was e-mailed; confirming it queues the purchase order
        {
            content: "Back to the RFQs",
            trigger: "body",
            run: "goToUrl /odoo/action-purchase.purchase_rfq",
        },
        ...searchAndOpen("Tour Mill a.s.", ".o_data_row td[name='partner_id']"),
        {
            content: "Odoo's own state says RFQ Sent",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('RFQ Sent')",
        },
        {
            content: "The mail state is Sent",
            trigger: ".o_field_widget[name='autocomm_state']:not(:has(select)):contains('Sent')",
        },
        {
            content: "The e-mail, with the RFQ PDF, is in the chatter",
            trigger: ".o-mail-Chatter .o-mail-Message:has(.o-mail-AttachmentList)",
        },
        {
            content: "Confirm the order",
            trigger: ".o_statusbar_buttons button[name='button_confirm']",
            run: "click",
        },
        {
            content: "It is a purchase order now",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Purchase Order')",
        },
        {
            content: "The purchase order is marked Send",
            trigger: ".o_field_widget[name='autocomm_state'] select:value(to_send)",
        },
    ],
});
