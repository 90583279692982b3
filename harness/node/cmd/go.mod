module kubeopencode.local/node/cmd

go 1.26.0
