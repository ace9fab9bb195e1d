-- Every MERICS sensitive area has at least one rule, and the target-tracking topic is matched both by its
-- OpenAlex id (T10711) and by name, so the demo data's topic (T11307, same display name) is matched too.
with rules as (
    select * from {{ ref('dual_use_topics') }}
),

areas as (
    select t.* from (
        values
        ('target_tracking'), ('cybersecurity'), ('biometric_recognition'), ('face_anti_spoofing'),
        ('missile_guidance'), ('surveillance')
    ) as t (dual_use_area)
)

select 'area without a rule' as problem, areas.dual_use_area as detail
from areas
left join rules
    on areas.dual_use_area = rules.dual_use_area
where rules.dual_use_area is null
union all
select 'T10711 not listed as a target_tracking topic id', 'T10711'
where not exists (
        select 1 from rules
        where dual_use_area = 'target_tracking' and match_type = 'topic_id' and match_value = 'T10711'
    )
union all
select 'no name_pattern matches the target-tracking topic name', 'Target Tracking and Data Fusion in Sensor Networks'
where not exists (
        select 1 from rules
        where dual_use_area = 'target_tracking'
            and match_type = 'name_pattern'
            and 'Target Tracking and Data Fusion in Sensor Networks' ilike match_value
    )
union all
select 'topic_id row without a verified display name', match_value
from rules
where match_type = 'topic_id' and (match_display_name is null or verified_in is null or match_value not like 'T%')
union all
select 'pattern row that matches nothing-specific', match_value
from rules
where match_type = 'name_pattern' and (match_value not like '%\%%' escape '\' or length(replace(match_value, '%', '')) < 5)
