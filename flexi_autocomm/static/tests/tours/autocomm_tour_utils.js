/** @odoo-module **/
/*
 * Steps the tours of flexi_autocomm and of its bridges share: searching a
 * list, flagging a contact in the contact dialog, saving a settings page and
 * running the scheduled action by hand. The bridges import them as
 * "@flexi_autocomm/../tests/tours/autocomm_tour_utils".
 */

// Settings are saved by a full page reload. The marker class is set on the
// page before saving; a trigger that requires its absence only matches on
// the reloaded page, never on the stale one.
const RELOAD_MARKER = "o_flexi_autocomm_tour_before_reload";

/** Search `text` in the control panel and open the record that shows it. */
export function searchAndOpen(text, recordSelector) {
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

/** Type `search` in the many2one `field` of the open form, pick `label`. */
export function pickInField(field, search, label) {
    return [
        {
            content: `Type ${search} in ${field}`,
            trigger: `.o_field_widget[name='${field}'] input`,
            run: `edit ${search}`,
        },
        {
            content: `Pick ${label}`,
            trigger: `.o-autocomplete--dropdown-item:contains('${label}')`,
            run: "click",
        },
    ];
}

/**
 * On a company's form, open its contact `name` in the contact dialog, tick
 * the check box `flag` and save: the contact's card shows `badge`.
 */
export function flagContact(name, flag, badge) {
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

/** Save a settings page; `reloaded` is a trigger of the reloaded page. */
export function saveSettings(content, reloaded) {
    return [
        {
            content: "Save the settings",
            trigger: ".o_control_panel .o_form_button_save",
            run(helpers) {
                document.body.classList.add(RELOAD_MARKER);
                helpers.click();
            },
        },
        {
            content,
            trigger: `body:not(.${RELOAD_MARKER}) ${reloaded}`,
        },
    ];
}

/**
 * Once `ready` matches, open the scheduled action that sends the documents,
 * press "Run Manually" and wait until its run is over.
 */
export function runScheduledAction(ready) {
    return [
        {
            content: "Open the scheduled actions",
            trigger: ready,
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
    ];
}
