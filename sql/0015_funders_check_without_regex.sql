-- meal.funders was checked with a regular expression (0013): about 5 µs a row, a tenth of the
-- CSV import's whole time per row under a policy with funders (measured by bench/policy.sh). The
-- same rule as a list of the values it allows (each funder at most once, in any order: 15 of
-- them) costs a hash look-up.
ALTER TABLE meal
    DROP CONSTRAINT meal_funders_check,
    ADD CONSTRAINT meal_funders_check CHECK (funders IN (
        'city', 'district', 'street',
        'city,district', 'city,street', 'district,city', 'district,street', 'street,city', 'street,district',
        'city,district,street', 'city,street,district', 'district,city,street', 'district,street,city',
        'street,city,district', 'street,district,city'));

-- A funder is listed exactly when its share is stored (NULL strpos: no funders, and then no shares).
ALTER TABLE meal
    ADD CONSTRAINT meal_city_share_listed CHECK ((strpos(funders, 'city') > 0) = (city_fen IS NOT NULL)),
    ADD CONSTRAINT meal_district_share_listed CHECK ((strpos(funders, 'district') > 0) = (district_fen IS NOT NULL)),
    ADD CONSTRAINT meal_street_share_listed CHECK ((strpos(funders, 'street') > 0) = (street_fen IS NOT NULL));
