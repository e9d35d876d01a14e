/** rison-node ships no types; only what joblogs uses (https://github.com/w33ble/rison-node). */
declare module 'rison-node' {
  export type RisonValue = string | number | boolean | null | RisonValue[] | { [key: string]: RisonValue };
  export function encode(value: RisonValue): string;
  export function decode(text: string): RisonValue;
  const rison: { encode: typeof encode; decode: typeof decode };
  export default rison;
}
