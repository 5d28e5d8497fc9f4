-- SPEC §2.13: a tier may split its subsidy among funders (city, district, street), shares adding
-- up to the tier's subsidy; a tier without funders is paid wholly by the city. A meal stores its
-- funding as data a claim sums without recomputing it: a share per funder of its tier (NULL: not
-- a funder of that tier), in `funders` order, and nothing when its subsidy is 0.

ALTER TABLE subsidy_tier
    ADD COLUMN funders text[] CHECK (cardinality(funders) BETWEEN 1 AND 3 AND funders <@ ARRAY['city', 'district', 'street']),
    ADD COLUMN shares integer[] CHECK (cardinality(shares) BETWEEN 1 AND 3 AND 0 <= ALL (shares)),
    ADD CHECK ((funders IS NULL) = (shares IS NULL) AND cardinality(funders) = cardinality(shares));

ALTER TABLE meal
    ADD COLUMN funders text CHECK (funders ~ '^(city|district|street)(,(city|district|street)){0,2}$'),
    ADD COLUMN city_fen integer CHECK (city_fen >= 0),
    ADD COLUMN district_fen integer CHECK (district_fen >= 0),
    ADD COLUMN street_fen integer CHECK (street_fen >= 0),
    ADD CONSTRAINT meal_funding_adds_up CHECK (
        CASE WHEN funders IS NULL THEN city_fen IS NULL AND district_fen IS NULL AND street_fen IS NULL
             ELSE coalesce(city_fen, 0) + coalesce(district_fen, 0) + coalesce(street_fen, 0) = subsidy_fen END);
