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
import {
    flagContact,
    pickInField,
    runScheduledAction,
    saveSettings,
    searchAndOpen,
} from "@flexi_autocomm/../tests/tours/autocomm_tour_utils";

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
        ...saveSettings(
            "The reloaded settings send RFQs",
            "#autocomm_rfq_setting .o_field_widget[name='autocomm_rfq_auto_send'] input:checked"
        ),
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
        ...pickInField("partner_id", "Tour Mill", "Tour Mill a.s."),
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
        ...runScheduledAction(".o_form_saved"),

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
