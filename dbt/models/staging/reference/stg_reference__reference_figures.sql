{{ config(materialized='view') }}
-- Published reference numbers (MERICS and comparable studies), with the warehouse metric each compares to.
with source as (
    select * from {{ ref('reference_figures') }}
)

select
    {{ clean_text('metric_id') }} as metric_id,
    {{ clean_text('metric') }} as reference_metric,
    {{ clean_text('value') }} as reference_value_text,
    try_cast({{ clean_text('value') }} as double) as reference_value,
    {{ clean_text('unit') }} as reference_unit,
    {{ clean_text('period') }} as reference_period,
    {{ clean_text('geography') }} as geography,
    {{ clean_text('data_source') }} as data_source,
    {{ clean_text('status') }} as status,
    {{ clean_text('source') }} as source_url,
    {{ clean_text('notes') }} as notes,
    {{ clean_text('warehouse_metric') }} as warehouse_metric,
    {{ clean_text('warehouse_scope') }} as warehouse_scope,
    {{ clean_text('warehouse_period') }} as warehouse_period
from source
where {{ clean_text('metric_id') }} is not null
