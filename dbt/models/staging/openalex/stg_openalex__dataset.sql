-- The data set this warehouse was built from (the latest load): every mart carries its label.
with source as (
    select * from {{ source('openalex', 'dataset') }}
)

select
    source as data_source,
    dataset_label,
    is_synthetic,
    source_detail,
    loaded_at
from source
qualify row_number() over (order by loaded_at desc) = 1
