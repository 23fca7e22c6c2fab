import { describe, expect, it } from 'vitest';
import { genericTestName } from './test-names.js';

describe('genericTestName (dbt compatible)', () => {
  it('joins the test, the model and the sorted arguments', () => {
    expect(genericTestName('not_null', 'orders', { column_name: 'order_id' }).shortName).toBe('not_null_orders_order_id');
    expect(genericTestName('relationships', 'orders', { column_name: 'customer_id', to: "ref('customers')", field: 'customer_id' }).shortName)
      .toBe('relationships_orders_customer_id__customer_id__ref_customers_');
    expect(genericTestName('accepted_values', 'customers', { column_name: 'id', values: [10, 20], quote: false }).shortName)
      .toBe('accepted_values_customers_id__False__10__20');
  });

  it("hashes names of 64 characters or more as dbt does (jaffle_shop's accepted_values test)", () => {
    const name = genericTestName('accepted_values', 'orders', { column_name: 'status', values: ['placed', 'shipped', 'completed', 'return_pending', 'returned'] });
    expect(name.fullName).toBe('accepted_values_orders_status__placed__shipped__completed__return_pending__returned');
    expect(name.shortName).toBe('accepted_values_orders_1ce6ab157c285f7cd2ac656013faf758');
  });

  it('prefixes source tests and namespaces as the caller passes them', () => {
    expect(genericTestName('source_unique', 'shop_orders', { column_name: 'id' }).shortName).toBe('source_unique_shop_orders_id');
    expect(genericTestName('dbt_utils_unique_combination_of_columns', 'f', { combination_of_columns: ['a', 'b'] }).shortName)
      .toBe('dbt_utils_unique_combination_of_columns_f_a__b');
  });
});
