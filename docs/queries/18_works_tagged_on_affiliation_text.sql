-- The Europe–China works tagged PLA or defence-linked on affiliation text alone: no Chinese institution of the
-- work carries the tag, but one of its affiliation strings places the author in mainland China and names a
-- listed body by a whole name (match path affiliation_text). Each row gives the evidence to read before citing
-- the work: the string as printed, the name found in it and the listed entity it names (a string shared by
-- several authors is given once). Source: marts.fct_eu_cn_works.
select
    work_id,
    publication_year,
    title,
    doi,
    risk_level,
    has_pla_by_text_only,
    has_defence_linked_by_text_only,
    list_distinct(list_transform(
        list_filter(risk_reasons, lambda r: r.match_path = 'affiliation_text'),
        lambda r: struct_pack(
            entity_name := r.entity_name,
            entity_group := r.entity_group,
            matched_name := r.matched_name,
            affiliation_string := r.affiliation_string
        )
    )) as text_evidence
from marts.fct_eu_cn_works
where has_pla_by_text_only or has_defence_linked_by_text_only
order by publication_year desc, work_id asc;
