import { describe, expect, it } from '@jest/globals';
import { categoryLabel, formatMoney, shortOrderId } from './format.js';
import { categoryColour, initialsOf } from './placeholder.js';

describe('formatting', () => {
  it('writes money in the minor unit of its currency', () => {
    expect(formatMoney({ amountMinor: 1450, currency: 'EUR' })).toBe('€14.50');
    expect(formatMoney({ amountMinor: 1450, currency: 'JPY' })).toBe('¥1,450');
    expect(formatMoney({ amountMinor: 0, currency: 'EUR' })).toBe('€0.00');
  });

  it('names categories and orders for people', () => {
    expect(categoryLabel('kitchen')).toBe('Kitchen');
    expect(shortOrderId('98add833-1c2b-4f0e-9a5d-0c1d2e3f4a5b')).toBe('98ADD833');
  });

  it('draws placeholders from the name and the category', () => {
    expect(initialsOf('Cast-Iron Skillet 26 cm')).toBe('CS');
    expect(initialsOf("Chef's Knife 20 cm")).toBe('CK');
    expect(initialsOf('Lamp')).toBe('L');
    expect(categoryColour('kitchen')).toBe('#9a3412');
    expect(categoryColour('toys')).toBe(categoryColour('toys'));
    expect(categoryColour('toys')).toMatch(/^#[0-9a-f]{6}$/);
  });
});
