-- One row per institution known to the warehouse: the OpenAlex institution records, plus any institution
-- seen only on works. Attributes come from the institution record when there is one, else from the works;
-- the lineage is the union of both (an institution's lineage always includes itself).
with institution_records as (
    select * from {{ ref('stg_openalex__institutions') }}
),

seen_on_works as (
    select
        institution_id,
        mode(institution_name) as institution_name,
        mode(ror_id) as ror_id,
        mode(country_code) as country_code,
        mode(institution_type) as institution_type,
        list_sort(list_distinct(flatten(list(lineage_ids)))) as lineage_ids,
        count(distinct work_id) as works_seen
    from {{ ref('stg_openalex__authorship_institutions') }}
    where institution_id is not null
    group by institution_id
),

joined as (
    select
        coalesce(institution_records.institution_id, seen_on_works.institution_id) as institution_id,
        coalesce(institution_records.institution_name, seen_on_works.institution_name) as institution_name,
        coalesce(institution_records.ror_id, seen_on_works.ror_id) as ror_id,
        coalesce(institution_records.country_code, seen_on_works.country_code) as country_code,
        coalesce(institution_records.institution_type, seen_on_works.institution_type) as institution_type,
        list_concat(
            coalesce(institution_records.lineage_ids, []),
            coalesce(seen_on_works.lineage_ids, [])
        ) as all_lineage_ids,
        institution_records.institution_id is not null as has_institution_record,
        coalesce(seen_on_works.works_seen, 0) as works_seen
    from institution_records
    full outer join seen_on_works
        on institution_records.institution_id = seen_on_works.institution_id
)

select
    institution_id,
    institution_name,
    ror_id,
    country_code,
    institution_type,
    list_sort(list_distinct(list_append(all_lineage_ids, institution_id))) as lineage_ids,
    list_sort(list_distinct(list_filter(all_lineage_ids, lambda l: l <> institution_id))) as ancestor_ids,
    has_institution_record,
    works_seen
from joined
