-- What this release changed for European institutions against the release before it: Chinese partners new,
-- gone or with another risk level (and whether the partner's risk-list entry or the data changed), and works
-- newly with a PLA or defence-linked partner. A first release is one row, first_release. Moved headline figures
-- are the rows of kind figure_changed (left out here). Source: marts.release_changes.
select
    change_kind,
    institution_name,
    country_code,
    partner_name,
    old_risk_level,
    new_risk_level,
    change_cause,
    works,
    work_ids,
    previous_release_id
from marts.release_changes
where change_kind != 'figure_changed'
order by
    list_position(
        ['first_release', 'new_partner', 'partner_risk_level_changed', 'partner_gone', 'new_pla_works', 'new_defence_linked_works'],
        change_kind
    ),
    institution_name,
    partner_name;
