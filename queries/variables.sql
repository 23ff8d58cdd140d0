-- Scenario variables (docs/ARCHITECTURE.md, "Drivers"): what the Drivers page ranks and a Transcripts drill-down
-- narrows to. A variable is `scenario_family`, `scenario` or a key of `conditions`; a conditions key is named by
-- itself, or 'conditions.<key>' where it would read as one of those two columns (or starts with that prefix).
-- Loaded before macros.sql, whose cell macro narrows to one variable's value.

CREATE OR REPLACE MACRO condition_variable(key) AS
    CASE WHEN key IN ('scenario', 'scenario_family') OR starts_with(key, 'conditions.') THEN 'conditions.' || key
         ELSE key END;

-- The value of scenario variable `variable` in a sample's columns (NULL where the sample does not have it).
CREATE OR REPLACE MACRO variable_value(variable, scenario, scenario_family, conditions) AS
    CASE variable
        WHEN 'scenario' THEN scenario
        WHEN 'scenario_family' THEN scenario_family
        ELSE conditions[CASE WHEN starts_with(variable, 'conditions.') THEN substr(variable, 12) ELSE variable END]
    END;

-- Every scenario variable of a sample with its value, as a list of {variable, value} (one row each when unnested).
CREATE OR REPLACE MACRO variable_values(scenario, scenario_family, conditions) AS
    list_concat(
        [{'variable': 'scenario_family', 'value': scenario_family}, {'variable': 'scenario', 'value': scenario}],
        list_transform(
            coalesce(map_entries(conditions), []), lambda e: {'variable': condition_variable(e.key), 'value': e.value}
        )
    );
