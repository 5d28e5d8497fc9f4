-- SPEC §2.14: a policy may pay the canteen an operating subsidy per diner-day with a subsidised
-- meal; a claim counts those diner-days, and a void in a closed month that empties its diner-day
-- claws the day back in its adjustment. SPEC §2.9, §2.13: a claim line keeps the categories its
-- meals were subsidised for and what each funder pays of it, so a claim's funders are a sum of
-- its lines and adjustments (an adjustment's funding is its meal's, negated: read through meal_id).

ALTER TABLE subsidy_policy
    ADD COLUMN operating_fen_per_diner_day integer CHECK (operating_fen_per_diner_day BETWEEN 0 AND 100000);

ALTER TABLE claim_adjustment
    ADD COLUMN operating_fen integer NOT NULL DEFAULT 0 CHECK (operating_fen <= 0);

ALTER TABLE claim
    ADD COLUMN operating_diner_days integer NOT NULL DEFAULT 0 CHECK (operating_diner_days >= 0),
    ADD COLUMN operating_subsidy_fen bigint NOT NULL DEFAULT 0 CHECK (operating_subsidy_fen >= 0),
    DROP CONSTRAINT claim_check,
    ADD CONSTRAINT claim_total_adds_up CHECK (total_fen = subsidy_fen + operating_subsidy_fen + adjustment_fen);

-- The claim's own rates: per date of its month, what the policy in force then paid per diner-day
-- when the claim was built (a frozen claim keeps them, so a later void claws back what was paid).
ALTER TABLE claim ADD COLUMN operating_rates jsonb NOT NULL DEFAULT '{}';

-- Every meal subsidised before funders existed was the city's alone: it says so now, like every
-- meal logged since (0013), and a meal has funders exactly when it has a subsidy.
UPDATE meal SET funders = 'city', city_fen = subsidy_fen WHERE funders IS NULL AND subsidy_fen > 0;
ALTER TABLE meal ADD CONSTRAINT meal_funders_when_subsidised CHECK ((funders IS NULL) = (subsidy_fen = 0));

ALTER TABLE claim_line
    ADD COLUMN categories text[] NOT NULL DEFAULT '{}'
        CHECK (categories <@ ARRAY['dibao', 'tekun', 'low_income', 'disabled', 'youfu']),
    ADD COLUMN city_fen bigint,
    ADD COLUMN district_fen bigint NOT NULL DEFAULT 0 CHECK (district_fen >= 0),
    ADD COLUMN street_fen bigint NOT NULL DEFAULT 0 CHECK (street_fen >= 0);

-- The lines already built get their meals' categories and funding. A line's meals are those its
-- claim holds (meal.claim_id, set at submission: frozen claims); a draft's or a rejected claim's
-- are found again when it is next built, and until then read as the city's. Frozen lines refuse
-- updates (claim_line_frozen): this one fills new columns with what their meals already say.
ALTER TABLE claim_line DISABLE TRIGGER claim_line_frozen_update;
UPDATE claim_line l
SET city_fen = s.city, district_fen = s.district, street_fen = s.street, categories = s.categories
FROM (SELECT claim_id, diner_id, bracket, sum(subsidy_fen) AS subsidy,
             sum(coalesce(city_fen, 0)) AS city, sum(coalesce(district_fen, 0)) AS district, sum(coalesce(street_fen, 0)) AS street,
             coalesce(array_agg(DISTINCT category) FILTER (WHERE category IS NOT NULL), '{}') AS categories
      FROM meal WHERE claim_id IS NOT NULL GROUP BY claim_id, diner_id, bracket) s
WHERE s.claim_id = l.claim_id AND s.diner_id = l.diner_id AND s.bracket = l.bracket AND s.subsidy = l.subsidy_fen;
UPDATE claim_line SET city_fen = subsidy_fen WHERE city_fen IS NULL;
ALTER TABLE claim_line ENABLE TRIGGER claim_line_frozen_update;

ALTER TABLE claim_line
    ALTER COLUMN city_fen SET NOT NULL,
    ADD CONSTRAINT claim_line_city_fen_check CHECK (city_fen >= 0),
    ADD CONSTRAINT claim_line_funding_adds_up CHECK (city_fen + district_fen + street_fen = subsidy_fen);
