-- seven_sons_and_pla_core.csv lists the People's Armed Police (ROR 011gh0524) as a state defence agency;
-- STUDY.md makes it security_linked. The seed follows STUDY.md and records the disagreement.
with pap as (
    select *
    from {{ ref('risk_entities') }}
    where ror_id = '011gh0524' or entity_group = 'peoples_armed_police'
)

select 'PAP umbrella record 011gh0524 missing' as problem, cast(null as varchar) as entity_id
where not exists (select 1 from pap where ror_id = '011gh0524')
union all
select 'PAP entity not security_linked-only', entity_id
from pap
where entity_group <> 'peoples_armed_police' or not is_security_linked or is_defence_linked or is_pla
union all
select 'disagreement with seven_sons_and_pla_core not recorded', entity_id
from pap
where ror_id = '011gh0524' and (not lists_disagree or disagreement_note is null)
