import type { ReactNode } from 'react';

/** A console table, named by its section's heading: a header row of `columns`, then the rows given. */
export function ConsoleTable({ labelledBy, columns, children }: { labelledBy: string; columns: string[]; children: ReactNode }) {
  return (
    <table className="console-table" aria-labelledby={labelledBy}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
