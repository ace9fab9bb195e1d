-- The releases published before this build (history.releases, restored from the live release), numbered.
with source as (
    select * from {{ source('history', 'releases') }}
)

select
    release_id,
    published_at,
    data_source,
    dataset_label,
    source_detail,
    data_updated_through,
    definition_set,
    europe_definition,
    ai_definition,
    risk_list_variant,
    reference_fingerprint,
    risk_list_as_of,
    row_number() over (order by published_at, release_id) as release_number
from source
