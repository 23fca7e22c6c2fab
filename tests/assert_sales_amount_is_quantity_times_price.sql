-- Every sale's amount is its quantity times its unit price: the rows returned are the ones that are not.
select sales_key, quantity, unit_price, amount
from {{ ref('fact_sales') }}
where amount <> cast(quantity * unit_price as numeric(14, 2))
