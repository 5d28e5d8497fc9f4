-- SPEC §2.5 and §2.12: a tier may name categories; it then holds a meal only when the diner
-- holds one of them that day. Tiers without categories must not overlap in age, nor may two
-- tiers with the same set of categories; a category tier may overlap any other tier. When
-- several hold, the largest subsidy applies, on a tie the first listed: tiers keep the order
-- the policy lists them in. A meal stores the category its tier paid for.

ALTER TABLE subsidy_tier
    ADD COLUMN categories text[] CHECK (cardinality(categories) BETWEEN 1 AND 5
        AND categories <@ ARRAY['dibao', 'tekun', 'low_income', 'disabled', 'youfu']),
    ADD COLUMN position smallint CHECK (position BETWEEN 0 AND 99);

-- The set of a tier's categories, as one sortable text (two tiers with the same set overlap
-- only if their ages do not).
CREATE FUNCTION category_set(categories text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(c, ',' ORDER BY c), '') FROM (SELECT DISTINCT unnest(categories) AS c) s
$$;

ALTER TABLE subsidy_tier DROP CONSTRAINT subsidy_tier_no_overlap;
ALTER TABLE subsidy_tier ADD CONSTRAINT subsidy_tier_no_overlap
    EXCLUDE USING gist (policy_id WITH =, category_set(categories) WITH =, int4range(min_age, max_age, '[]') WITH &&);

-- Tiers written before: in age order, as they were always read.
ALTER TABLE subsidy_tier DISABLE TRIGGER subsidy_tier_immutable;
UPDATE subsidy_tier t SET position = o.n
FROM (SELECT policy_id, label, row_number() OVER (PARTITION BY policy_id ORDER BY min_age) - 1 AS n FROM subsidy_tier) o
WHERE t.policy_id = o.policy_id AND t.label = o.label;
ALTER TABLE subsidy_tier ENABLE TRIGGER subsidy_tier_immutable;
ALTER TABLE subsidy_tier ALTER COLUMN position SET NOT NULL;

-- The category a meal's tier paid for: the first of the tier's categories the diner held that
-- day; null for a tier by age alone, or no tier.
ALTER TABLE meal ADD COLUMN category text CHECK (category IN ('dibao', 'tekun', 'low_income', 'disabled', 'youfu'));
