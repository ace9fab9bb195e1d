-- What this release changes against the release published before it. Per European institution: Chinese partners
-- new, gone, or with another risk level (and whether the partner's listing or the data changed), and works newly
-- with a PLA or defence-linked partner; per headline figure: the old value, the new one and the change. "Before" is
-- each history table's rows as they stood when the previous release went live; "now" is this build's marts. A
-- first release is one row saying so, not an empty diff.
with previous_release as (
    select
        release_id,
        published_at
    from {{ ref('stg_history__releases') }}
    qualify row_number() over (order by release_number desc) = 1
),

partners_before as (
    {{ as_of_previous_release(ref('institution_partners_history')) }}
),

partners_now as (
    select * from {{ ref('institution_partners') }}
),

-- Risk-list entities whose listing changed since the previous release (a version opened or closed since).
listings_changed as (
    select distinct history.entity_id
    from {{ ref('risk_entities_history') }} as history
    inner join previous_release
        on history.dbt_valid_from > previous_release.published_at
            or history.dbt_valid_to > previous_release.published_at
),

partner_changes as (
    select
        coalesce(now.institution_id, before.institution_id) as institution_id,
        coalesce(now.institution_ror, before.institution_ror) as institution_ror,
        coalesce(now.institution_name, before.institution_name) as institution_name,
        coalesce(now.country_code, before.country_code) as country_code,
        coalesce(now.partner_institution_id, before.partner_institution_id) as partner_institution_id,
        coalesce(now.partner_ror, before.partner_ror) as partner_ror,
        coalesce(now.partner_name, before.partner_name) as partner_name,
        before.partner_risk_level as old_risk_level,
        now.partner_risk_level as new_risk_level,
        coalesce(now.eu_cn_works, before.eu_cn_works) as works,
        case
            when before.institution_id is null then 'new_partner'
            when now.institution_id is null then 'partner_gone'
            else 'partner_risk_level_changed'
        end as change_kind,
        case
            when before.institution_id is null or now.institution_id is null then null
            when
                before.partner_risk_entity_id in (select listings_changed.entity_id from listings_changed)
                or now.partner_risk_entity_id in (select listings_changed.entity_id from listings_changed)
                then 'listing'
            else 'data'
        end as change_cause
    from partners_now as now
    full outer join partners_before as before
        on now.institution_id = before.institution_id
            and now.partner_institution_id = before.partner_institution_id
    where
        before.institution_id is null
        or now.institution_id is null
        or before.partner_risk_level is distinct from now.partner_risk_level
),

works_before as (
    {{ as_of_previous_release(ref('institution_works_history')) }}
),

works_newly_risky as (
    select
        now.institution_id,
        now.institution_ror,
        now.institution_name,
        now.country_code,
        now.work_id,
        now.has_pla and not coalesce(before.has_pla, false) as is_new_pla,
        now.has_defence_linked and not coalesce(before.has_defence_linked, false) as is_new_defence_linked
    from {{ ref('fct_institution_eu_cn_works') }} as now
    left join works_before as before
        on now.institution_id = before.institution_id
            and now.work_id = before.work_id
),

work_changes as (
    {%- for kind, flag in [('new_pla_works', 'is_new_pla'), ('new_defence_linked_works', 'is_new_defence_linked')] %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        institution_id,
        any_value(institution_ror) as institution_ror,
        any_value(institution_name) as institution_name,
        any_value(country_code) as country_code,
        '{{ kind }}' as change_kind,
        count(*) as works,
        list(work_id order by work_id) as work_ids
    from works_newly_risky
    where {{ flag }}
    group by institution_id
    {%- endfor %}
),

figures_before as (
    {{ as_of_previous_release(ref('headline_figures_history')) }}
),

figure_changes as (
    select
        coalesce(now.metric, before.metric) as metric,
        coalesce(now.scope, before.scope) as scope,
        coalesce(now.period, before.period) as period,
        coalesce(now.unit, before.unit) as unit,
        before.value as old_value,
        now.value as new_value,
        now.value - before.value as value_change
    from {{ ref('headline_figures') }} as now
    full outer join figures_before as before
        on now.metric = before.metric
            and now.scope = before.scope
            and now.period = before.period
    where before.value is distinct from now.value
),

-- union by name: each kind's columns, the others NULL.
changes as (
    select
        change_kind,
        institution_id,
        institution_ror,
        institution_name,
        country_code,
        partner_institution_id,
        partner_ror,
        partner_name,
        old_risk_level,
        new_risk_level,
        change_cause,
        works
    from partner_changes
    union all by name
    select
        change_kind,
        institution_id,
        institution_ror,
        institution_name,
        country_code,
        works,
        work_ids
    from work_changes
    union all by name
    select
        'figure_changed' as change_kind,
        metric,
        scope,
        period,
        unit,
        old_value,
        new_value,
        value_change
    from figure_changes
),

with_previous as (
    select
        changes.*,
        previous_release.release_id as previous_release_id,
        previous_release.published_at as previous_published_at
    from changes
    cross join previous_release
    union all by name
    select 'first_release' as change_kind
    where not exists (select 1 from previous_release)
)

select
    change_kind,
    institution_id,
    institution_ror,
    institution_name,
    country_code,
    partner_institution_id,
    partner_ror,
    partner_name,
    old_risk_level,
    new_risk_level,
    change_cause,
    works,
    work_ids,
    metric,
    scope,
    period,
    unit,
    old_value,
    new_value,
    value_change,
    previous_release_id,
    previous_published_at,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from with_previous
