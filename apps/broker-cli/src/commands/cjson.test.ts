import { describe, expect, it } from 'vitest';
import { cNumber, fromParsed, object, printJson } from './cjson.js';

describe("cJSON's output, as mosquitto_sub prints %j", () => {
  it('prints numbers as cJSON does', () => {
    expect([27, -3, 0.1, 1.5, 1e21, 2 ** 31, 1 / 3, 1e-7, Number.NaN, -0, 123456789012, 5e-324].map(cNumber)).toEqual([
      '27',
      '-3',
      '0.1',
      '1.5',
      '1e+21',
      '2147483648',
      '0.33333333333333331',
      '1e-07',
      'null',
      '-0',
      '123456789012',
      '4.94065645841247e-324',
    ]);
    // Within one DBL_EPSILON: the 15-digit form is kept (what libcjson printed for mosquitto_sub 2.0.11).
    expect(cNumber(0.1 + 0.2)).toBe('0.3');
  });

  it('keeps a repeated key, and lays out --pretty as cJSON_Print', () => {
    const value = object([
      ['k', '1'],
      ['k', '2'],
      ['e', object([])],
      ['a', [1, 'x', null, true]],
    ]);
    expect(printJson(value, false)).toBe('{"k":"1","k":"2","e":{},"a":[1,"x",null,true]}');
    expect(printJson(value, true)).toBe(
      '{\n\t"k":\t"1",\n\t"k":\t"2",\n\t"e":\t{\n\t},\n\t"a":\t[1, "x", null, true]\n}',
    );
  });

  it('escapes strings as JSON and keeps non-ASCII text', () => {
    expect(printJson(fromParsed(JSON.parse('{"s":"aé\\n\\u0001\\"/"}')), false)).toBe('{"s":"aé\\n\\u0001\\"/"}');
  });
});
