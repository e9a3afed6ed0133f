/** @odoo-module **/
/*
 * A storekeeper's path through the delivery slips: the delivery operation
 * type's tab "Texts on document" (its switch is on), a contact of the customer
 * flagged "Send stock documents" in the contact dialog, then a ready delivery
 * order, marked Send by its type, validated: it offers "Send delivery slip now".
 *
 * Data (operation type, customer "Tour Depot s.r.o.", its contact "Eva
 * Skladová", the delivery "TOUR-DELIVERY") and the SMTP server come from
 * tests/test_tour.py, which then runs the scheduled action.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";
import { flagContact, searchAndOpen } from "@flexi_autocomm/../tests/tours/autocomm_tour_utils";

registry.category("web_tour.tours").add("flexi_autocomm_stock_tour", {
    steps: () => [
        // 1. The delivery operation type sends its delivery orders
        {
            content: "Open the tab 'Texts on document'",
            trigger: ".o_notebook a[name='autocomm_texts']",
            run: "click",
        },
        {
            content: "'Automatically send by e-mail to client' is ticked",
            trigger: ".o_field_widget[name='autocomm_auto_send'] input:checked",
        },
        {
            content: "The text for sending can be written",
            trigger: ".o_field_widget[name='autocomm_email_text']",
        },

        // 2. A contact of the customer receives the delivery slips
        {
            content: "Open the customers",
            trigger: "body",
            run: "goToUrl /odoo/action-account.res_partner_action_customer",
        },
        ...searchAndOpen("Tour Depot s.r.o.", ".o_kanban_record"),
        ...flagContact("Eva Skladová", "autocomm_send_stock", "Send stock documents"),
        ...stepUtils.saveForm(),

        // 3. The ready delivery order, marked Send, is validated
        {
            content: "Open the transfers",
            trigger: ".o_form_saved",
            run: "goToUrl /odoo/action-stock.action_picking_tree_all",
        },
        ...searchAndOpen("TOUR-DELIVERY", ".o_data_row td[name='origin']"),
        {
            content: "The delivery order is marked Send",
            trigger: ".o_field_widget[name='autocomm_state'] select:value(to_send)",
        },
        {
            content: "No 'Send delivery slip now' before it is validated",
            trigger: ".o_statusbar_buttons:not(:has(button[name='action_autocomm_send_now']))",
        },
        {
            content: "Validate the delivery order",
            trigger: ".o_statusbar_buttons button[name='button_validate']",
            run: "click",
        },
        {
            content: "Validated, it waits for the scheduled action (or 'Send now')",
            trigger: ".o_statusbar_buttons button[name='action_autocomm_send_now']",
        },
    ],
});
